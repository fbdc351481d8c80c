import assert, { deepEqual as assertEquals, rejects } from "node:assert/strict";
import { z } from "zod";
import type { CheckResult } from "../core/check.ts";
import { ConfigError } from "../core/errors.ts";
import { commonSinkFields, commonSourceFields } from "../core/plugin.ts";
import { findSource, registerSink, registerSource } from "../core/registry.ts";
import { checkExitCode, formatCheckLine } from "./check.ts";
import { runCli } from "./mod.ts";

const SOURCE = "check-test-src";
const SINK = "check-test-sink";
/** What the test plugins' checks answer, set per test. */
let sourceAnswer: CheckResult[] = [];
let sinkAnswer: CheckResult[] = [];
const probePaths: string[] = [];

if (!findSource(SOURCE)) {
  registerSource({
    type: SOURCE,
    summary: "check test source",
    schema: z.object({ type: z.literal(SOURCE), ...commonSourceFields, broker: z.string() }).strict(),
    env: [{ env: "CHECK_TEST_BROKER", key: "broker", kind: "string" }],
    secrets: [],
    create: () => {
      throw new Error("check never creates a source");
    },
    check: (config) => Promise.resolve(sourceAnswer.map((r) => ({ ...r, name: `${r.name} ${config.broker}` }))),
    peek: () => Promise.reject(new Error("check never peeks")),
  });
  registerSink({
    type: SINK,
    summary: "check test sink",
    schema: z.object({ type: z.literal(SINK), ...commonSinkFields }).strict(),
    env: [],
    secrets: [],
    create: () => {
      throw new Error("check never creates a sink");
    },
    check: (_config, context) => {
      probePaths.push(context.paths.probePath());
      return Promise.resolve(sinkAnswer);
    },
  });
}

const ENV = { SOURCE_TYPE: SOURCE, SINK_TYPE: SINK, CHECK_TEST_BROKER: "b1:9092" };

async function check(args: string[] = []): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli(["check", ...args], { env: ENV, stdout: (t) => out.push(t), stderr: () => {} });
  return { code, out: out.join("") };
}

Deno.test("runCli() check prints one line per probe and exits 0 when all pass, warnings included", async () => {
  sourceAnswer = [
    { kind: "ok", name: "brokers", detail: "answer" },
    { kind: "warning", name: "topic", detail: "does not exist yet", hint: "create it" },
  ];
  sinkAnswer = [{ kind: "ok", name: "bucket", detail: "exists" }];
  const { code, out } = await check(["--set", "source.broker=b2:9092"]);
  assertEquals(code, 0);
  assertEquals(out.split("\n"), [
    "ok       source    brokers b2:9092: answer",
    "warning  source    topic b2:9092: does not exist yet (hint: create it)",
    "ok       sink      bucket: exists",
    "check: 3 of 3 checks passed, 1 warning; exit 0",
    "",
  ]);
  assert(probePaths.at(-1)?.startsWith("_fsds/probe/"), "the sink is told the layout's probe path");
});

Deno.test("runCli() check exits 2 for a configuration fault and 1 for another failure, naming cause and hint", async () => {
  sourceAnswer = [{ kind: "failed", name: "brokers", cause: "no answer within 10000 ms", hint: "is it up?" }];
  sinkAnswer = [
    { kind: "misconfigured", name: 'bucket "x"', cause: "the bucket does not exist", hint: "create the bucket" },
    { kind: "skipped", name: "write probe", reason: "needs the step above" },
  ];
  const both = await check();
  assertEquals(both.code, 2);
  assert(
    both.out.includes('failed   sink      bucket "x": the bucket does not exist (hint: create the bucket)\n'),
    both.out,
  );
  assert(both.out.includes("skipped  sink      write probe: needs the step above\n"), both.out);
  assert(both.out.endsWith("check: 0 of 3 checks passed, 2 failed (configuration), 1 skipped; exit 2\n"), both.out);

  sinkAnswer = [{ kind: "ok", name: "bucket", detail: "exists" }];
  const timeout = await check();
  assertEquals(timeout.code, 1);
  assert(timeout.out.includes("failed   source    brokers b1:9092: no answer within 10000 ms (hint: is it up?)"));
});

Deno.test("runCli() check validates the configuration first and needs one", async () => {
  await rejects(
    runCli(["check"], { env: { SOURCE_TYPE: SOURCE, SINK_TYPE: SINK }, stdout: () => {}, stderr: () => {} }),
    (error: unknown) => error instanceof ConfigError && error.message.includes("source.broker"),
  );
  await rejects(
    runCli(["check"], { env: {}, stdout: () => {}, stderr: () => {} }),
    (error: unknown) => error instanceof ConfigError && error.message.startsWith("No configuration given"),
  );
});

Deno.test("checkExitCode() and formatCheckLine() follow the result kinds", () => {
  const ok: CheckResult = { kind: "ok", name: "a", detail: "d" };
  const failed: CheckResult = { kind: "failed", name: "b", cause: "c" };
  const wrong: CheckResult = { kind: "misconfigured", name: "c", cause: "c" };
  assertEquals([checkExitCode([ok]), checkExitCode([ok, failed]), checkExitCode([failed, wrong])], [0, 1, 2]);
  assertEquals(formatCheckLine({ section: "telemetry", result: failed }), "failed   telemetry b: c");
});
