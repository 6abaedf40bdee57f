/**
 * This process's side of Temporal for the flows: one client, connected on first use, and how
 * failures come back. A failure that carries a LibrarianError (raised in an activity, or by a
 * workflow's update handler) comes back as that error, so the HTTP caller sees the same status
 * and reason whichever process found the problem.
 */
import {
  Client,
  Connection,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { SearchAttributePair, SignalDefinition, Workflow, WorkflowResultType } from '@temporalio/common';
import type { Config } from '../config';
import { temporalTls } from '../config/temporalTls';
import type { Logger } from '../logger';
import { LibrarianError, unavailable } from '../shared/errors';
import { workflowIds, type WorkflowIds } from '../shared/workflowIds';
import { failureDetails } from '../workflows/failures';
import { LIBRARIAN } from '../workflows/searchAttributes';

export async function connectClient(temporal: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect({ address: temporal.address, tls: temporalTls(temporal.tls), connectTimeout: '10s' });
  return new Client({ connection, namespace: temporal.namespace });
}

/** Whether a client call ended because its deadline passed (no worker took the step in time). */
export function timedOut(e: unknown): boolean {
  return e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (e as { code?: number }).code === 4 /* DEADLINE_EXCEEDED */;
}

/** gRPC's UNAVAILABLE: the server is down, restarting, or the network to it is cut. */
const GRPC_UNAVAILABLE = 14;

/** Whether a client call failed because Temporal could not be reached (the error or any cause). */
export function unreachable(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(c) && c.code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

/** What a failed client call met: its cause's message when it has one (the gRPC error). */
function causeOf(e: unknown): string {
  return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
}

/** The 503 for a Temporal that cannot be reached, with what to do. */
export function temporalUnavailable(address: string, e: unknown): LibrarianError {
  return unavailable(
    `Temporal at ${address} cannot be reached (${causeOf(e)}); nothing was started or changed.`,
    'Start the Temporal server (librarian dev starts one) or fix temporal.address in the configuration, then retry the same request.',
  );
}

/** Turns a workflow or update failure into the LibrarianError it carries. */
export function asLibrarianError(e: unknown): unknown {
  const d = failureDetails(e);
  if (d) {
    const { status, reason, suggested_remedy, ...extra } = d;
    return new LibrarianError(status, reason, suggested_remedy, extra);
  }
  if (timedOut(e)) {
    return unavailable('No Librarian worker answered in time.', 'Check that "librarian worker start" is running for this Librarian, then retry.');
  }
  return e;
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asLibrarianError(e);
  }
}

/** A signal to a workflow that may have finished meanwhile: one that is gone needs no signal. */
export async function ifRunning(signalled: Promise<void>): Promise<void> {
  await signalled.catch((e) => {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  });
}

export class TemporalAccess {
  readonly ids: WorkflowIds;
  private connecting: Promise<Client> | undefined;
  private connected: Client | undefined;

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.ids = workflowIds(config.name);
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  /** The Librarian search attribute every workflow of this Librarian carries. */
  get librarian(): SearchAttributePair {
    return { key: LIBRARIAN, value: this.config.name };
  }

  /** The client; a Temporal that cannot be reached is a 503 with what to do. */
  async client(): Promise<Client> {
    try {
      return await this.connect();
    } catch (e) {
      throw temporalUnavailable(this.config.temporal.address, e);
    }
  }

  private connect(): Promise<Client> {
    this.connecting ??= connectClient(this.config.temporal).then(
      (c) => (this.connected = c),
      (e) => {
        this.connecting = undefined;
        throw e;
      },
    );
    return this.connecting;
  }

  /** A failure of a call to Temporal as the 503 it is when Temporal is unreachable; undefined otherwise. */
  asUnavailable(e: unknown): LibrarianError | undefined {
    return unreachable(e) ? temporalUnavailable(this.config.temporal.address, e) : undefined;
  }

  /** Whether Temporal answers now (for ping and health checks): null when it does, else why not. */
  async problem(timeoutMs = 3000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Connecting has its own, longer timeout: the whole check is bounded here.
      const asked = this.connect().then((c) => c.connection.withDeadline(deadline, () => c.connection.workflowService.getSystemInfo({})));
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs)));
      asked.catch(() => undefined);
      await Promise.race([asked, late]);
      return null;
    } catch (e) {
      // The client retries an unreachable server until the deadline, so the cause is often the timer.
      return `Temporal at ${this.config.temporal.address} cannot be reached: ${causeOf(e)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  async signal<A extends unknown[]>(workflowId: string, signal: SignalDefinition<A>, ...args: A): Promise<void> {
    const client = await this.client();
    await ifRunning(client.workflow.getHandle(workflowId).signal(signal, ...args));
  }

  /**
   * Starts a workflow, or joins the one already running under the same id (so a repeated request
   * does the work once), and waits for its result.
   */
  async runToCompletion<W extends Workflow>(
    type: string,
    id: string,
    args: Parameters<W>,
    extra: { searchAttributes?: SearchAttributePair[]; executionTimeout?: string } = {},
  ): Promise<WorkflowResultType<W>> {
    const client = await this.client();
    const handle = await client.workflow.start<W>(type, {
      taskQueue: this.taskQueue,
      workflowId: id,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args,
      typedSearchAttributes: [this.librarian, ...(extra.searchAttributes ?? [])],
      ...(extra.executionTimeout ? { workflowExecutionTimeout: extra.executionTimeout } : {}),
      // The SDK's options type is conditional on W's parameters, which it cannot resolve for a generic W.
    } as unknown as WorkflowStartOptions<W>);
    return guarded(() => handle.result());
  }

  /**
   * Runs `fn` so that its calls to Temporal are cancelled when `signal` aborts (the API cuts a
   * request short when it stops, so no call is left running when the connection closes).
   */
  withAbortSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.connected ? this.connected.withAbortSignal(signal, fn) : fn();
  }

  async close(): Promise<void> {
    const c = await this.connecting?.catch(() => undefined);
    this.connecting = undefined;
    this.connected = undefined;
    await c?.connection.close();
  }
}
