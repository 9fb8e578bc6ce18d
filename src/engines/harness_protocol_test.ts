import assert from "node:assert/strict";
import { hostMessageSchema, parseHarnessLine, ProtocolViolation } from "./harness_protocol.ts";

const transcripts = new URL("../../tests/transcripts/", import.meta.url);

Deno.test("every shared transcript parses on the host side, both directions", () => {
  const names = [...Deno.readDirSync(transcripts)].map((e) => e.name).filter((n) => n.endsWith(".jsonl"))
    .sort();
  assert.ok(names.length >= 2);
  for (const name of names) {
    const entries = Deno.readTextFileSync(new URL(name, transcripts)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.equal(entries[0].message.type, "hello", name);
    for (const entry of entries) {
      if (entry.from === "harness") parseHarnessLine(JSON.stringify(entry.message));
      else {assert.ok(
          hostMessageSchema.safeParse(entry.message).success,
          `${name}: ${JSON.stringify(entry.message)}`,
        );}
    }
  }
});

Deno.test("parseHarnessLine() reads a done message with its request records", () => {
  const message = parseHarnessLine(
    '{"type":"done","window_id":"w","started_s":1,"finished_s":2,"capture":"per_batch","requests":' +
      '[{"index":0,"input_tokens":3,"output_tokens":4,"start_s":1,"first_token_s":1.1,"end_s":1.5,"extra":true}]}',
  );
  assert.equal(message.type, "done");
  if (message.type === "done") assert.equal(message.requests[0]!.output_tokens, 4);
});

Deno.test("parseHarnessLine() rejects garbage, unknown types and missing fields, naming the problem", () => {
  assert.throws(
    () => parseHarnessLine("this is not JSON {"),
    (e: unknown) => e instanceof ProtocolViolation && /not JSON/.test(e.message),
  );
  assert.throws(() => parseHarnessLine('{"type":"dance"}'), ProtocolViolation);
  assert.throws(() => parseHarnessLine('{"type":"ready","window_id":"w"}'), /n_requests/);
  assert.throws(
    () =>
      parseHarnessLine(
        '{"type":"done","window_id":"w","started_s":1,"finished_s":2,"capture":"x","requests":[]}',
      ),
    /capture/,
  );
});
