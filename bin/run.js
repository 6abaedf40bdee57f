#!/usr/bin/env node
// The `librarian` command. Compiled code lives in dist/ (npm run build).
// Short commands reuse V8's compiled code of their modules (src/cli/compileCache.ts); the
// long-running ones compile theirs once per start and keep Node's own loader.
if (!['start', 'dev', 'server', 'worker'].includes(process.argv[2] ?? '')) require('../dist/cli/compileCache.js').enableCompileCache();
const oclif = require('@oclif/core');
oclif.execute({ dir: __dirname }).catch(oclif.handle);
