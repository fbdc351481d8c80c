/**
 * The validated, merged configuration a run works from.
 * @module
 */
import type { CommonSinkConfig, CommonSourceConfig } from "../core/plugin.ts";
import type { TelemetrySection } from "../telemetry/config.ts";
import type { PipelineSection } from "./pipeline_section.ts";

/** The whole configuration after merging file, environment and flags, and validating. */
export interface AppConfig {
  /** The source section, validated by the plugin selected by `source.type`. */
  readonly source: CommonSourceConfig & Record<string, unknown>;
  /** The sink section, validated by the plugin selected by `sink.type`. */
  readonly sink: CommonSinkConfig & Record<string, unknown>;
  readonly telemetry: TelemetrySection;
  readonly pipeline: PipelineSection;
}
