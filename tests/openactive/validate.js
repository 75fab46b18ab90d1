#!/usr/bin/env node
// Run the OpenActive validators (installed from package-lock.json by `make npm-deps`) over Patchmap's RPDE
// feeds: @openactive/rpde-validator walks each feed from its first page to its last, and
// @openactive/data-model-validator checks the data of every updated item. Nothing is fetched but the feeds.
//
// Usage: node tests/openactive/validate.js FEED_URL [FEED_URL ...]
// Prints one JSON object: {feeds: {url: {rpde: [problem], items: n, deleted: n, data: [problem]}}}, where a
// problem is {severity, type, path, message, url}. The caller decides what fails (tests/api/test_openactive.py:
// no problem of severity "failure").
'use strict';

const { RpdeValidator } = require('@openactive/rpde-validator');
const { validate } = require('@openactive/data-model-validator');

const PAGE_LIMIT = 50;

function problem(error, url) {
  return {
    severity: error.severity,
    type: error.type,
    path: error.path,
    message: String(error.message || '').split('\n')[0].slice(0, 300),
    url,
  };
}

async function walk(url) {
  // The feed's items, page by page, until a page whose next is itself (the RPDE last page).
  const items = [];
  let page = url;
  for (let i = 0; i < PAGE_LIMIT; i += 1) {
    const res = await fetch(page);
    if (res.status !== 200) throw new Error(`${page} answered ${res.status}`);
    const body = await res.json();
    items.push(...body.items);
    if (body.next === page || body.items.length === 0) return items;
    page = body.next;
  }
  throw new Error(`${url} has more than ${PAGE_LIMIT} pages`);
}

async function check(url) {
  const log = await RpdeValidator(url, { pageLimit: PAGE_LIMIT, requestDelayMs: 0, timeoutMs: 20000 });
  const rpde = [];
  for (const page of log.pages) {
    for (const error of page.errors) rpde.push(problem(error, page.url));
  }
  const items = await walk(url);
  const data = [];
  let deleted = 0;
  for (const item of items) {
    if (item.state !== 'updated') {
      deleted += 1;
      continue;
    }
    const errors = await validate(item.data, { loadRemoteJson: false, validationMode: 'RPDEFeed' });
    for (const error of errors) data.push(problem(error, `${item.kind} ${item.id}`));
  }
  return { rpde, items: items.length, deleted, data };
}

(async () => {
  const feeds = {};
  for (const url of process.argv.slice(2)) feeds[url] = await check(url);
  process.stdout.write(JSON.stringify({ feeds }));
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
