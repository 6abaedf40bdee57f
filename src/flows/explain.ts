/**
 * "Why is this file not at B yet?": the catalog's account (domain/clone/explain.ts) with what
 * Temporal says of the batch or drive trip carrying it.
 */
import type { Domain } from '../domain';
import type { FileExplained } from '../domain/clone/explain';
import type { CloneFlow } from './clone';
import type { TemporalAccess } from './temporal';

export type BatchView = Awaited<ReturnType<CloneFlow['describeBatch']>>;

export class ExplainFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
    private readonly clone: CloneFlow,
  ) {}

  async file(name: string, peer?: string): Promise<FileExplained & { batches: Map<string, BatchView>; temporalProblem: string | null }> {
    const explained = await this.domain.cloneExplainer.explain(name, peer);
    const batches = new Map<string, BatchView>();
    let temporalProblem: string | null = null;
    const carried = [...new Set(explained.peers.map((p) => p.carriedBy).filter((b): b is string => b !== null))];
    if (carried.length) {
      try {
        const client = await this.temporal.client();
        for (const id of carried) {
          // A workflow past its namespace's retention is gone from Temporal: the catalog's account stands.
          const view = await this.clone.describeBatch(client, id).catch((e: Error) => {
            if (e.name === 'WorkflowNotFoundError') return undefined;
            throw e;
          });
          if (view) batches.set(id, view);
        }
      } catch (e) {
        // The catalog's account stands on its own: say why Temporal's part is missing.
        temporalProblem = this.temporal.asUnavailable(e)?.reason ?? (e as Error).message;
      }
    }
    return { ...explained, batches, temporalProblem };
  }
}
