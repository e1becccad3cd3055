#!/usr/bin/env node
// Entry point. Every command goes through oclif; a fast path for the pre-commit guard may skip it.
import { run } from '../dist/cli/main.js'

await run(process.argv.slice(2), import.meta.url)
