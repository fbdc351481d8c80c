/**
 * An OpenTelemetry context manager on `AsyncLocalStorage` (which Deno implements), so the active span follows
 * `await` and callbacks: child spans get their parent and log lines get `trace_id`/`span_id`.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, context, type ContextManager, ROOT_CONTEXT } from "@opentelemetry/api";

class AsyncLocalStorageContextManager implements ContextManager {
  #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (thisArg: unknown, args: unknown[]) => this.with(ctx, () => target.apply(thisArg, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

let installed = false;

/**
 * Installs the context manager as the API's global one, once per process. Returns false when another context
 * manager was already installed by someone else (then it is used as it is).
 */
export function installContextManager(): boolean {
  if (installed) return true;
  installed = context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  return installed;
}
