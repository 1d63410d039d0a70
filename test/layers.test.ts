import { test } from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

// A folder imports only from layers below its own: never up, never across (features included)
const LAYERS: Record<string, number> = {
  lib: 0,
  config: 1,
  db: 2,
  hubspot: 2,
  store: 3,
  http: 4,
  auth: 4,
  contacts: 5,
  sync: 5,
  health: 5,
  checks: 5,
  simulator: 5,
  metrics: 5,
  stats: 5,
  '.': 6 // app.ts, server.ts, dev.ts
}

async function sourceFiles (directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true })
  const nested = await Promise.all(entries.map(async (entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  }))
  return nested.flat()
}

function folderOf (path: string): string {
  const [first, ...rest] = relative(SRC, path).split('/')
  return rest.length === 0 ? '.' : first
}

/** Every relative import of src/, as [importing folder, imported folder, where]. */
async function folderImports (): Promise<Array<[string, string, string]>> {
  const edges: Array<[string, string, string]> = []
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8')
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), match[1])
      if (!target.startsWith(SRC)) continue
      edges.push([folderOf(file), folderOf(target), `${relative(SRC, file)} imports ${match[1]}`])
    }
  }
  return edges
}

test('every folder of src/ has a layer', async (t) => {
  const folders = new Set((await sourceFiles(SRC)).map(folderOf))
  t.same([...folders].filter((folder) => LAYERS[folder] === undefined), [], 'folders without a layer: add them to LAYERS and the README')
})

test('imports point one way: down the layers, never across one, so no folder cycle', async (t) => {
  const wrong = (await folderImports()).filter(([from, to]) => from !== to && LAYERS[to] >= LAYERS[from])
  t.same(wrong.map(([, , where]) => where), [], 'imports up a layer or across one')
})
