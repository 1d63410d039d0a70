// Run by `npm install` (postinstall): prepares the embedded database's first start.
import { writeEmbeddedTemplate } from './embedded.ts'

await writeEmbeddedTemplate()
