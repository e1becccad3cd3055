import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Plugin } from '@oclif/core'
import { describe, expect, it } from 'vitest'
import { PROJECT_ROOT } from '../helpers/cli.js'

describe('oclif.manifest.json', () => {
  it('matches the commands in dist/ (regenerate with `npm run manifest`)', async () => {
    const plugin = new Plugin({ root: PROJECT_ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true })
    await plugin.load()
    const fresh = JSON.parse(JSON.stringify(plugin.manifest.commands))
    const committed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')).commands
    expect(Object.keys(committed).sort()).toEqual(Object.keys(fresh).sort())
    expect(committed).toEqual(fresh)
  })
})
