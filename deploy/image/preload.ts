// The image's `node --import` preload: secrets from files (deploy/image/secret-files.ts) before
// src/server.ts reads the environment. A file that cannot be read stops the start with one line.
import { readSecretFiles } from './secret-files.ts'

try {
  readSecretFiles(process.env)
} catch (error) {
  process.stderr.write(`contact-sync failed to start: ${(error as Error).message}\n`)
  process.exit(1)
}
