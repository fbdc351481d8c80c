import { equal } from "node:assert/strict";
import { defaultWorkers } from "./pipeline_section.ts";

Deno.test("defaultWorkers(): none up to 2 cores (measured no faster, more CPU and memory), else one fewer than the cores", () => {
  for (const [cores, workers] of [[1, 0], [2, 0], [3, 2], [4, 3], [16, 15]]) equal(defaultWorkers(cores), workers);
});
