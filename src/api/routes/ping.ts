import { z } from 'zod';
import type { PingResponse } from '../../shared/wire';
import { endpoint } from '../endpoint';

const pingResponse = z.object({ name: z.string(), description: z.string(), librarian_name: z.string(), username: z.string().nullable() });

const ping = (path: string, level: 'NONE' | 'READONLY' | 'ADMIN', summary: string) =>
  endpoint({
    path,
    level,
    summary,
    body: z.object({}).passthrough(),
    response: pingResponse,
    handler: async ({ domain, principal }): Promise<PingResponse> => ({
      name: domain.config.displayedSiteName,
      description: domain.config.displayedSiteDescription,
      librarian_name: domain.config.name,
      username: principal?.username ?? null,
    }),
  });

export const pingEndpoints = [
  ping('/ping/', 'NONE', 'Is the server up? Works without credentials; wrong credentials are refused.'),
  ping('/ping/logged', 'READONLY', 'Are these credentials valid?'),
  ping('/ping/admin', 'ADMIN', 'Are these administrator credentials?'),
];
