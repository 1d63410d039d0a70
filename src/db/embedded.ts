import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  url: string
  close: () => Promise<void>
}

/**
 * An initialised, empty data directory made once at install time: a first start then
 * unpacks it in about a second instead of running initdb for three.
 */
const TEMPLATE_PATH = fileURLToPath(new URL('../../node_modules/.cache/contact-sync/pglite-template.tar.gz', import.meta.url))

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

async function openDatabase (directory: string): Promise<PGlite> {
  if (!await exists(join(directory, 'PG_VERSION')) && await exists(TEMPLATE_PATH)) {
    return PGlite.create(directory, { loadDataDir: new Blob([await readFile(TEMPLATE_PATH)]) })
  }
  return PGlite.create(directory)
}

export async function writeEmbeddedTemplate (): Promise<void> {
  const db = await PGlite.create('memory://')
  const archive = await db.dumpDataDir('gzip')
  await db.close()
  await mkdir(resolve(TEMPLATE_PATH, '..'), { recursive: true })
  await writeFile(TEMPLATE_PATH, Buffer.from(await archive.arrayBuffer()))
}

/**
 * Starts PGlite with its files in dataDir and serves it on a loopback port, so that
 * postgres.js runs the very same SQL against it as against a real server.
 */
export async function startEmbeddedPostgres (dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  const directory = resolve(dataDir, 'pglite')
  await mkdir(directory, { recursive: true })
  const db = await openDatabase(directory)
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections })
  try {
    await server.start()
  } catch (error) {
    await db.close()
    throw error
  }
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async close () {
      await server.stop()
      await db.close()
    }
  }
}
