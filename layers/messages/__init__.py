"""Messages to people: written to the outbox in the same transaction as the change they tell of, and sent
once by a background sender over SMTP (``layers.settings.MailSettings``). See docs/booking.md.
"""
