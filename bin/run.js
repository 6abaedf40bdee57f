#!/usr/bin/env node
// The `librarian` command. Compiled code lives in dist/ (npm run build).
const oclif = require('@oclif/core');
oclif.execute({ dir: __dirname }).catch(oclif.handle);
