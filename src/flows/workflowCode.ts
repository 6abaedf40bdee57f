import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * This build's workflow code for a worker or a replay: the bundle `npm run build` made
 * (dist/workflow-bundle.js), else the sources, bundled on the spot (slower).
 */
export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = path.resolve(__dirname, '../workflow-bundle.js');
  return existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../workflows') };
}
