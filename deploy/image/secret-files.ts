// Run by deploy/image/preload.ts (node --import, see Dockerfile) before the service reads its settings:
// for every NAME_FILE in the environment, NAME is set to that file's content (one trailing newline
// dropped) and NAME_FILE removed. Compose mounts its secrets as files under /run/secrets/, so the
// database password, the HubSpot token and the API keys never appear in `docker inspect` (the
// convention of the official postgres image: POSTGRES_PASSWORD_FILE).
// PGPASSWORD_FILE gives PGPASSWORD, which postgres.js uses when DATABASE_URL carries no password.
import { readFileSync } from 'node:fs'

const SUFFIX = '_FILE'

export function readSecretFiles (env: NodeJS.ProcessEnv, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): string[] {
  const names: string[] = []
  for (const [variable, path] of Object.entries(env)) {
    if (!variable.endsWith(SUFFIX) || variable.length === SUFFIX.length || !path) continue
    const name = variable.slice(0, -SUFFIX.length)
    let value: string
    try {
      value = read(path)
    } catch (error) {
      throw new Error(`${variable}=${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    env[name] = value.replace(/\r?\n$/, '')
    delete env[variable]
    names.push(name)
  }
  return names
}
