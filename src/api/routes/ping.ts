import { ping } from '../../protocol';
import type { Call } from '../../protocol/call';
import { route } from '../endpoint';

const answer = (c: Call<typeof ping.anonymous.request, typeof ping.answer>, level: 'NONE' | 'READONLY' | 'ADMIN', summary: string) =>
  route(c, {
    level,
    summary,
    handler: async ({ domain, flows, principal }) => {
      const health = await flows.health.check();
      const state = (problem: string | null) => ({ ok: problem === null, problem: principal ? problem : null });
      return {
        name: domain.config.displayedSiteName,
        description: domain.config.displayedSiteDescription,
        librarian_name: domain.config.name,
        username: principal?.username ?? null,
        auth_level: principal?.level ?? null,
        catalog: state(health.catalog),
        temporal: state(health.temporal),
      };
    },
  });

export const pingEndpoints = [
  answer(ping.anonymous, 'NONE', 'Is the server up? Works without credentials; wrong credentials are refused.'),
  answer(ping.logged, 'READONLY', 'Are these credentials valid?'),
  answer(ping.admin, 'ADMIN', 'Are these administrator credentials?'),
];
