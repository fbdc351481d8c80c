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

/** Where one configuration value came from; printed as `file.yaml:12`, `env KAFKA_TOPICS`, `flag --max-batches`. */
export type Origin =
  /** A line of the configuration file (YAML or INI). */
  | { readonly kind: "file"; readonly file: string; readonly line: number }
  /** An environment variable. */
  | { readonly kind: "env"; readonly name: string }
  /** A command-line flag, e.g. `--max-batches` or `--set source.topics=...`. */
  | { readonly kind: "flag"; readonly flag: string }
  /** The schema's default. */
  | { readonly kind: "default" };

/** What `loadConfig` returns: the validated configuration, where each value came from, and non-fatal warnings. */
export interface LoadedConfig {
  readonly config: AppConfig;
  /** Origin of each leaf value, keyed by dotted path such as `source.topics` or `pipeline.flatten.separator`. */
  readonly origins: Map<string, Origin>;
  /** Things the user should know that do not stop the run (deprecated variables, ignored values). */
  readonly warnings: string[];
}
