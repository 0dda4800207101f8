/** Prometheus metrics on their own listener: off by default; requests, events by reason and grant, hashing and commits; nothing secret. */
import t from 'tap';
import { tempDir, CONFIDENTIAL, baseYaml, basic } from './helpers/app.js';
import { freePort, listen } from './helpers/server.js';

t.test('metrics are off unless enabled', async (t) => {
  const running = await listen(t, tempDir(t), baseYaml());
  t.equal(running.masks.config.metrics.enabled, false);
  t.equal((await fetch(`${running.url}/metrics`)).status, 404, 'and never on the public listener');
});

t.test('metrics.enabled: a listener of their own with requests, events and the store', async (t) => {
  const port = await freePort();
  const running = await listen(t, tempDir(t), baseYaml({ metrics: { enabled: true, port } }));
  const token = await fetch(`${running.url}/token`, { method: 'POST', headers: { authorization: basic(CONFIDENTIAL.id, CONFIDENTIAL.secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  t.equal(token.status, 200);
  const wrong = await fetch(`${running.url}/token`, { method: 'POST', headers: { authorization: basic(CONFIDENTIAL.id, 'not-the-secret'), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  t.equal(wrong.status, 401);
  const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(scrape.status, 200);
  const text = await scrape.text();
  t.match(text, 'masks_http_requests_total{route="/token",method="POST",status="200"} 1');
  t.match(text, 'masks_http_requests_total{route="/token",method="POST",status="401"} 1');
  t.match(text, /masks_http_request_duration_seconds_bucket\{le="[\d.]+",route="\/token",method="POST"\} \d/);
  t.match(text, 'masks_events_total{type="token.issued",reason="other",grant_type="client_credentials"} 1', 'tokens by grant');
  t.match(text, /masks_events_total\{type="token.failed",reason="other",grant_type="other"\} 1/, 'failures, with no typed text as a label');
  t.match(text, /masks_password_hashing\{state="waiting"\} 0/);
  t.match(text, /masks_store_commits\{what="batches"\} [1-9]/);
  t.match(text, /masks_store_commit_seconds_total (?!0\n)\d/, "the time spent committing, so a dashboard can show the mean commit latency");
  t.notMatch(text, CONFIDENTIAL.secret);
  t.notMatch(text, (await token.json()).access_token);
  t.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
});
