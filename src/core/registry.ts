/**
 * The one place plugins are found by their `type`. Plugins register themselves from `src/plugins.ts` with static
 * imports, so `deno compile` includes every one of them.
 * @module
 */
import type { CommonSinkConfig, CommonSourceConfig, SinkPlugin, SourcePlugin } from "./plugin.ts";

const sources = new Map<string, SourcePlugin>();
const sinks = new Map<string, SinkPlugin>();

/** Registers a source plugin; a second plugin with the same type is a programming error. */
export function registerSource<C extends CommonSourceConfig>(plugin: SourcePlugin<C>): void {
  if (sources.has(plugin.type)) throw new Error(`Cannot register source "${plugin.type}": already registered`);
  sources.set(plugin.type, plugin as unknown as SourcePlugin);
}

/** Registers a sink plugin; a second plugin with the same type is a programming error. */
export function registerSink<C extends CommonSinkConfig>(plugin: SinkPlugin<C>): void {
  if (sinks.has(plugin.type)) throw new Error(`Cannot register sink "${plugin.type}": already registered`);
  sinks.set(plugin.type, plugin as unknown as SinkPlugin);
}

/** The source plugin for a type, or undefined. */
export function findSource(type: string): SourcePlugin | undefined {
  return sources.get(type);
}

/** The sink plugin for a type, or undefined. */
export function findSink(type: string): SinkPlugin | undefined {
  return sinks.get(type);
}

/** Every registered source plugin, sorted by type. */
export function listSources(): SourcePlugin[] {
  return [...sources.values()].sort((a, b) => a.type.localeCompare(b.type));
}

/** Every registered sink plugin, sorted by type. */
export function listSinks(): SinkPlugin[] {
  return [...sinks.values()].sort((a, b) => a.type.localeCompare(b.type));
}
