"""What residents offer and suggest (a group, a space, their help): the forms and their validation
(``forms``), storing a submission with its private contact apart (``submissions``) and moderation:
the queue, approve or merge into a record, reject, ask for more information (``moderation``).
Accepted offers of help meet the groups that want volunteers (``matching``) and are introduced to them or
closed (``introductions``).
"""
