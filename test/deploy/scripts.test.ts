// Must show 3: `deploy.sh --dry-run` lists every step and changes nothing; all scripts pass
// shellcheck. Also: pre-flight failures are each named and stop the deploy before anything runs,
// and a switch that nginx rejects is undone. No nginx, Docker or database needed here: the
// hooks are stand-ins that leave a mark when they run, and the colors are tiny HTTP servers.
import { spawn, spawnSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test, type Test } from 'tap'
import { temporaryDirectory } from '../helpers/database.ts'
import { DEPLOY_DIR, REPO_ROOT, baseEnv, runScript, writeTestCertificate } from './helpers/stack.ts'

const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0

/** A stand-in color or nginx (its color then the marker's, read per request): answers the probes the scripts make. */
async function fakeServer (t: Test, color: string | (() => string)): Promise<string> {
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    if (request.url === '/health/ready' || request.url === '/health/live') response.end('{"status":"ready"}')
    else if (request.url === '/health') response.end(JSON.stringify({ status: 'ready', color: typeof color === 'string' ? color : color() }))
    else if (request.url === '/api/hubspot/test') response.end('{"ok":true,"latencyMs":12}')
    else { response.statusCode = 404; response.end('{}') }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

interface Sandbox { dir: string, marks: string, nginxDir: string, upstreamsFile: string, env: Record<string, string> }

/** Settings that pass every pre-flight check, and hooks that only leave a mark in `marks`. */
async function sandbox (t: Test): Promise<Sandbox> {
  const dir = await temporaryDirectory(t, 'contact-sync-deploy-scripts-')
  const marks = join(dir, 'marks')
  await mkdir(marks)
  const nginxDir = join(dir, 'nginx')
  await mkdir(nginxDir)
  const upstreamsFile = join(nginxDir, 'upstreams.conf')
  await copyFile(join(DEPLOY_DIR, 'nginx/upstreams.conf'), upstreamsFile)
  // The seed's names: DB_PASSWORD, secrets in .env (deploy.sh moves them to SECRETS_DIR files)
  await writeFile(join(dir, '.env'), 'HUBSPOT_ACCESS_TOKEN=pat-na1-x\nAPI_KEYS=intake:form-key-0123456789,operator-key-0123456789\nDB_PASSWORD=secret\n')
  const hasOpenssl = onPath('openssl')
  if (hasOpenssl) {
    spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'privkey.pem'), '-out', join(dir, 'fullchain.pem'), '-days', '30', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  } else {
    await writeFile(join(dir, 'fullchain.pem'), 'not checked without openssl\n')
    await writeFile(join(dir, 'privkey.pem'), 'not checked without openssl\n')
  }
  const mark = (name: string) => `touch '${marks}/${name}-'"$1"`
  const env: Record<string, string> = {
    ...baseEnv(),
    ENV_FILE: join(dir, '.env'),
    NGINX_DIR: nginxDir,
    STATE_DIR: join(dir, 'state'),
    SECRETS_DIR: join(dir, 'secrets'),
    TLS_CERT: join(dir, 'fullchain.pem'),
    TLS_KEY: join(dir, 'privkey.pem'),
    DISK_CHECK_PATH: dir,
    // nginx: green while the marker exists, else blue, as deploy/nginx/nginx.conf
    NGINX_URL: await fakeServer(t, () => existsSync(join(nginxDir, 'active-green')) ? 'green' : 'blue'),
    NGINX_INSECURE: '0',
    APP_BUILD_CMD: mark('build'),
    APP_MIGRATE_CMD: mark('migrate'),
    APP_IMAGE_OF_CMD: `${mark('image-of')}; echo contact-sync:kept`,
    NGINX_LOG_CMD: `${mark('nginx-log')}; true`,
    APP_START_CMD: mark('start'),
    APP_RESUME_CMD: mark('resume'),
    APP_STOP_CMD: mark('stop'),
    APP_RUNNING_CMD: `${mark('running')}; true`,
    NGINX_TEST_CMD: mark('nginx-test'),
    NGINX_RELOAD_CMD: mark('nginx-reload')
  }
  return { dir, marks, nginxDir, upstreamsFile, env }
}

const DEPLOY_STEPS = [
  'Pre-flight checks',
  'Image contact-sync:test for green',
  'Migrate the database (one-shot container of contact-sync:test, lock_timeout)',
  'Start green',
  'Wait for green\'s /health/ready (timeout 300s, every 5s)',
  'Check the HubSpot token through green (GET /api/hubspot/test)',
  'Switch nginx to green',
  'Verify through nginx',
  'Watch green\'s error rate while blue drains (30s)',
  'Stop blue (the container is kept for rollback)',
  'Record the release'
]

test('deploy.sh --dry-run lists every step and changes nothing', async (t) => {
  const box = await sandbox(t)
  const before = await readFile(box.upstreamsFile, 'utf8')
  const run = await runScript('deploy.sh', ['--dry-run', '--image', 'contact-sync:test'], box.env)
  t.equal(run.code, 0, 'exit 0', { output: run.output })
  t.match(run.output, 'DRY RUN: nothing is built, started, stopped, written or reloaded.')
  t.match(run.output, 'deploy: blue is active, deploying contact-sync:test to green')
  DEPLOY_STEPS.forEach((name, i) => t.match(run.output, `==> [${i + 1}/11] ${name}`, `step ${i + 1}: ${name}`))
  for (const line of [
    /ok {4}curl present/,
    /ok {4}\d+ GB free on .* \(more than 5 GB needed\)/,
    /ok {4}TLS certificate and key present/,
    /ok {4}secret db_password: would be written to .*\/secrets\/db_password from .*\.env/,
    /ok {4}secret hubspot_access_token: would be written/,
    /ok {4}secret api_keys: would be written/,
    /ok {4}.*upstreams\.conf lists blue at 172\.30\.42\.11:3000 and green at 172\.30\.42\.12:3000/,
    /ok {4}nginx answers at http:\/\/127\.0\.0\.1:\d+/,
    /\[dry-run\] would run APP_START_CMD: touch '.*\/marks\/start-'"green"/,
    'would poll http://127.0.0.1:3002/health/ready every 5s until it answers 200, for at most 300s',
    'would GET http://127.0.0.1:3002/api/hubspot/test with the first admin key of API_KEYS and expect 200 {"ok":true}',
    /\[dry-run\] would run APP_MIGRATE_CMD: touch '.*\/marks\/migrate-'"green"/,
    /would create .*\/active-green \(temp file \+ mv\)/,
    /would poll http:\/\/127\.0\.0\.1:\d+\/health until it reports "color":"green" \(at most 30s\)/,
    'would watch green\'s error rate in nginx\'s log for 30s (at most 0.001) while blue drains',
    /\[dry-run\] would run APP_STOP_CMD: touch '.*\/marks\/stop-'"blue"/
  ]) t.match(run.output, line)
  t.same(await readdir(box.marks), [], 'no hook ran')
  t.equal(await readFile(box.upstreamsFile, 'utf8'), before, 'the upstreams file is untouched')
  t.notOk(existsSync(join(box.nginxDir, 'active-green')), 'no marker written')
  t.notOk(existsSync(join(box.dir, 'secrets')), 'no secret written')
  t.notOk(existsSync(join(box.dir, 'state/lock')), 'no lock left behind')

  const options = await runScript('deploy.sh', ['--dry-run', '--timeout', '60', '--interval', '2', '--drain', '5', '--no-build'], { ...box.env, APP_IMAGE: 'contact-sync:abc' })
  t.match(options.output, '==> [5/11] Wait for green\'s /health/ready (timeout 60s, every 2s)', 'flags set the timeout and interval')
  t.match(options.output, 'for 5s (at most 0.001) while blue drains', '--drain sets the drain')
  t.match(options.output, 'using contact-sync:abc (no build)')
  const built = await runScript('deploy.sh', ['--dry-run'], box.env)
  t.match(built.output, /would run APP_BUILD_CMD: touch '.*\/marks\/build-'"green"/)
  t.match(built.output, /deploying contact-sync:[0-9a-f]{12}(-dirty-\d{14})? to green/, 'the image is tagged by the commit')
  const viaEnv = await runScript('deploy.sh', ['--dry-run'], { ...box.env, READY_TIMEOUT: '120', READY_INTERVAL: '1' })
  t.match(viaEnv.output, '(timeout 120s, every 1s)', 'so does the environment')
  const bad = await runScript('deploy.sh', ['--dry-run', '--timeout', 'soon'], box.env)
  t.equal(bad.code, 1)
  t.match(bad.output, 'READY_TIMEOUT must be a whole number of seconds, got \'soon\'')
})

test('STEP_HOOK_CMD runs as each step begins, with its number and title', async (t) => {
  const box = await sandbox(t)
  const calls = join(box.dir, 'step-calls')
  const run = await runScript('deploy.sh', ['--dry-run', '--image', 'contact-sync:test'], { ...box.env, STEP_HOOK_CMD: `printf '%s|%s\\n' "$1" "$2" >>'${calls}'; exit 3` })
  t.equal(run.code, 0, 'its exit status is ignored', { output: run.output })
  t.same((await readFile(calls, 'utf8')).trim().split('\n'), DEPLOY_STEPS.map((name, i) => `${i + 1}|${name}`), 'once per step, in order')
  const killed = await runScript('deploy.sh', ['--dry-run', '--image', 'contact-sync:test'], { ...box.env, STEP_HOOK_CMD: '[ "$1" != 4 ] || kill -9 "$PPID"' })
  t.equal(killed.code, null, 'kill -9 "$PPID" from it kills the script')
  t.match(killed.output, '==> [4/11] Start green')
  t.notMatch(killed.output, 'would run APP_START_CMD', 'before the step acts')
})

test('with no overrides the dry run shows the docker commands it would run', async (t) => {
  const box = await sandbox(t)
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(box.env)) if (!/_CMD$/.test(key)) env[key] = value
  // New addresses for green: the upstreams are rewritten, so nginx -t and one reload show too
  const run = await runScript('deploy.sh', ['--dry-run', '--no-build'], { ...env, APP_IMAGE: 'contact-sync:abc', COMPOSE_PROJECT_NAME: 'cs', UPSTREAM_GREEN: '172.30.42.13:3000' })
  t.equal(run.code, 0, { output: run.output })
  const compose = new RegExp(`(docker compose|docker-compose) -p cs --project-directory ${REPO_ROOT.replace(/\/$/, '')} -f ${REPO_ROOT.replace(/\/$/, '')}/compose.yaml`).source
  t.match(run.output, new RegExp(`would run APP_MIGRATE_CMD: ${compose} run --rm --no-deps -T migrate`))
  t.match(run.output, new RegExp(`would run APP_START_CMD: ${compose} up -d --no-deps "app_green"`))
  t.match(run.output, new RegExp(`would run NGINX_TEST_CMD: ${compose} exec -T nginx nginx -p /var/cache/nginx/ -c /etc/nginx/contact-sync/nginx.conf -t -q`))
  t.match(run.output, new RegExp(`would run NGINX_RELOAD_CMD: ${compose} exec -T nginx nginx -p /var/cache/nginx/ -c /etc/nginx/contact-sync/nginx.conf -s reload`))
  t.match(run.output, new RegExp(`would run APP_STOP_CMD: ${compose} stop "app_blue"`))
})

test('rollback.sh --dry-run lists its steps and changes nothing', async (t) => {
  const box = await sandbox(t)
  const before = await readFile(box.upstreamsFile, 'utf8')
  await mkdir(join(box.dir, 'state'))
  await writeFile(join(box.dir, 'state/releases'), '2026-11-01T10:00:00Z green contact-sync:aaa\n2026-11-02T10:00:00Z blue contact-sync:bbb\n')
  const run = await runScript('rollback.sh', ['--dry-run'], box.env)
  t.equal(run.code, 0, { output: run.output })
  t.match(run.output, 'rollback: blue is active, switching back to green on contact-sync:aaa')
  for (const [i, name] of ['Checks', 'Start green again on contact-sync:aaa', 'Wait for green\'s /health/ready (timeout 60s, every 1s)',
    'Switch nginx to green', 'Verify through nginx', 'Let blue drain', 'Stop blue (the container is kept)', 'Record the release'].entries()) {
    t.match(run.output, `==> [${i + 1}/8] ${name}`)
  }
  t.match(run.output, /would run APP_START_CMD: touch '.*\/marks\/start-'"green"/, 'its container has another image: recreated on the release\'s')
  t.same(await readdir(box.marks), [], 'no hook ran')
  t.equal(await readFile(box.upstreamsFile, 'utf8'), before)
})

test('pre-flight: every failed check is named, and nothing runs', async (t) => {
  const box = await sandbox(t)
  await writeFile(box.env.ENV_FILE, 'HUBSPOT_ACCESS_TOKEN=\nAPI_KEYS=\n')
  await mkdir(join(box.dir, 'secrets'))
  await writeFile(join(box.dir, 'secrets/api_keys'), 'read:only-a-read-key-0123456789')
  const run = await runScript('deploy.sh', [], {
    ...box.env,
    TLS_KEY: join(box.dir, 'missing-key.pem'),
    MIN_FREE_GB: '100000000',
    NGINX_URL: 'http://127.0.0.1:1'
  })
  t.equal(run.code, 1, 'exit 1')
  t.match(run.output, 'ERROR: pre-flight failed, nothing was changed:')
  for (const message of [
    /FAIL {2}only \d+ GB free on .*, more than 100000000 GB needed/,
    /FAIL {2}TLS file missing, empty or unreadable: .*missing-key\.pem/,
    /FAIL {2}no secret hubspot_access_token: write it to .*\/secrets\/hubspot_access_token \(or set HUBSPOT_ACCESS_TOKEN or HUBSPOT_API_KEY in .*\.env\)/,
    /FAIL {2}API_KEYS has no admin key/,
    /FAIL {2}no secret db_password: write it to .*\/secrets\/db_password \(or set DB_PASSWORD or POSTGRES_PASSWORD in/,
    /FAIL {2}nginx does not answer at http:\/\/127\.0\.0\.1:1/
  ]) t.match(run.output, message)
  t.notMatch(run.output, '==> [2/11]', 'stopped after the checks')
  t.same((await readdir(box.marks)).filter((mark) => !mark.startsWith('running-')), [], 'no hook ran but the question which color runs (nginx did not answer)')
  t.notOk(existsSync(join(box.dir, 'state/lock')), 'the lock is released')
})

test('a release that serves but was never recorded (a deploy killed after its switch) is recorded first: rollback returns before it', async (t) => {
  const box = await sandbox(t)
  // green serves contact-sync:bbb; the killed deploy never recorded it, the history ends with blue
  await writeFile(join(box.nginxDir, 'active-green'), '')
  await mkdir(join(box.dir, 'state'))
  await writeFile(join(box.dir, 'state/releases'), '2026-11-01T10:00:00Z green contact-sync:aaa\n2026-11-02T10:00:00Z blue contact-sync:bbb\n')
  const images = 'case "$1" in blue) echo contact-sync:bbb ;; green) echo contact-sync:ccc ;; esac'
  const run = await runScript('rollback.sh', ['--drain', '0', '--interval', '0.2'], {
    ...box.env,
    APP_IMAGE_OF_CMD: images,
    // the killed deploy stopped blue (its step 10) before it was killed
    APP_RUNNING_CMD: '[ "$1" = green ]',
    BLUE_URL: await fakeServer(t, 'blue'),
    GREEN_URL: await fakeServer(t, 'green')
  })
  t.equal(run.code, 0, { output: run.output })
  t.match(run.output, 'WARNING: the release history ends with blue contact-sync:bbb, but green serves contact-sync:ccc (a run stopped after its switch?): recorded as the serving release')
  t.match(run.output, 'rollback: green is active, switching back to blue on contact-sync:bbb', 'back to the release before the one serving')
  t.same((await readFile(join(box.dir, 'state/releases'), 'utf8')).trim().split('\n').map((line) => line.split(' ').slice(1).join(' ')),
    ['green contact-sync:aaa', 'blue contact-sync:bbb', 'green contact-sync:ccc', 'blue contact-sync:bbb'], 'the history: what served, then the rollback')
  t.notOk(existsSync(join(box.nginxDir, 'active-green')), 'nginx sends traffic to blue')
  t.same((await readdir(box.marks)).sort(), ['resume-blue', 'stop-green'], 'blue\'s kept container, which has that image, is started again; green stopped')
})

test('DOMAIN: pre-flight wants its certificate in CERTS_DIR/<DOMAIN>/, for that name', { skip: onPath('openssl') ? false : 'needs openssl' }, async (t) => {
  const box = await sandbox(t)
  const certs = join(box.dir, 'certs')
  const env: Record<string, string> = { ...box.env, CERTS_DIR: certs }
  delete env.TLS_CERT
  delete env.TLS_KEY
  const dryRun = async (domain: string) => {
    await writeFile(box.env.ENV_FILE, (await readFile(box.env.ENV_FILE, 'utf8')).replace(/^DOMAIN=.*\n/m, '') + `DOMAIN=${domain}\n`)
    return (await runScript('deploy.sh', ['--dry-run', '--image', 'contact-sync:test'], env)).output
  }

  t.match(await dryRun('contacts.example.test'), `FAIL  TLS file missing, empty or unreadable: ${certs}/contacts.example.test/fullchain.pem (the certificate for DOMAIN contacts.example.test)`, 'no certificate for DOMAIN')
  await writeTestCertificate(join(certs, 'contacts.example.test'), 'other.example.test')
  t.match(await dryRun('contacts.example.test'), new RegExp(`FAIL {2}TLS certificate ${certs}/contacts\\.example\\.test/fullchain\\.pem is not for DOMAIN contacts\\.example\\.test \\(it names .*other\\.example\\.test`), 'a certificate for another name')
  await writeTestCertificate(join(certs, 'contacts.example.test'), 'contacts.example.test')
  const passed = await dryRun('contacts.example.test')
  t.match(passed, /ok {4}TLS certificate for contacts\.example\.test and key present and matching/, 'its own certificate')
  t.notMatch(passed, 'FAIL', 'every check passes')
  t.match(await dryRun('"contacts.example.test; evil"'), 'FAIL  DOMAIN \'contacts.example.test; evil\' is not a host name', 'a DOMAIN nginx could not take')
  // Without DOMAIN: CERTS_DIR itself, as before
  await writeFile(box.env.ENV_FILE, (await readFile(box.env.ENV_FILE, 'utf8')).replace(/^DOMAIN=.*\n/m, ''))
  t.match((await runScript('deploy.sh', ['--dry-run', '--image', 'contact-sync:test'], env)).output, `FAIL  TLS file missing, empty or unreadable: ${certs}/fullchain.pem (see README`, 'unset: CERTS_DIR/fullchain.pem')
})

test('the lock: a running owner stops the run, a dead one\'s lock is taken over', async (t) => {
  const box = await sandbox(t)
  await mkdir(join(box.dir, 'state/lock'), { recursive: true })
  // A live deploy: a process whose command line names deploy.sh
  const owner = spawn('bash', ['-c', 'exec -a deploy.sh sleep 60'], { stdio: 'ignore' })
  t.teardown(() => { owner.kill() })
  await writeFile(join(box.dir, 'state/lock/pid'), `${owner.pid}\n`)
  const locked = await runScript('deploy.sh', [], box.env)
  t.equal(locked.code, 1)
  t.match(locked.output, `another deploy or rollback holds ${join(box.dir, 'state/lock')} (pid ${owner.pid}, running)`)
  // kill -9 left it behind: nobody has that pid now
  owner.kill('SIGKILL')
  await new Promise((resolve) => owner.once('exit', resolve))
  const stale = await runScript('rollback.sh', ['--timeout', '1', '--interval', '0.2'], { ...box.env, GREEN_URL: 'http://127.0.0.1:1' })
  t.match(stale.output, `a stale lock from pid ${owner.pid} (no such deploy runs): taken over`)
  t.notOk(existsSync(join(box.dir, 'state/lock')), 'released at the end')
})

test('new upstreams that nginx -t rejects are undone, and the new color stopped', async (t) => {
  const box = await sandbox(t)
  const before = await readFile(box.upstreamsFile, 'utf8')
  const run = await runScript('deploy.sh', ['--interval', '0.2', '--image', 'contact-sync:test'], {
    ...box.env,
    UPSTREAM_GREEN: 'app_green:3000',
    GREEN_URL: await fakeServer(t, 'green'),
    NGINX_TEST_CMD: 'echo "nginx: [emerg] host not found in upstream \\"app_green:3000\\"" >&2; exit 1'
  })
  t.equal(run.code, 1, { output: run.output })
  t.match(run.output, 'deploy aborted: nginx -t rejected the new upstreams; the previous ones are back in place and nginx was not reloaded: nginx: [emerg] host not found in upstream')
  t.match(run.output, 'blue keeps serving; nginx was not switched.')
  t.equal(await readFile(box.upstreamsFile, 'utf8'), before, 'the previous upstreams file is back, byte for byte')
  t.notOk(existsSync(join(box.nginxDir, 'active-green')), 'no marker')
  t.same((await readdir(box.marks)).sort(), ['image-of-blue', 'migrate-green', 'start-green', 'stop-green'], 'green was migrated, started and then stopped; nginx never reloaded')
  t.same((await readdir(box.nginxDir)).filter((name) => name.startsWith('upstreams.conf.')), [], 'no temp file left')
})

test('the error-rate gate reads nginx\'s log: errors and requests of one color since the switch', async (t) => {
  const dir = await temporaryDirectory(t, 'contact-sync-gate-')
  const line = (time: string, status: number, upstream: string, statuses: string) =>
    JSON.stringify({ time, request_id: 'x', status, upstream, upstream_status: statuses })
  await writeFile(join(dir, 'access.log'), [
    line('2026-11-28T14:05:21+00:00', 200, '10.0.0.2:3000, 10.0.0.1:3000', '503, 200'), // busy, the backup answered: not an error
    line('2026-11-28T14:05:21+00:00', 500, '10.0.0.2:3000', '500'), // the client got a 500
    line('2026-11-28T14:05:22+00:00', 200, '10.0.0.2:3000', '200'),
    line('2026-11-28T14:05:22+00:00', 200, '10.0.0.2:3000, 10.0.0.1:3000', '502, 200'), // refused or reset: an error even though the backup answered
    line('2026-11-28T14:04:22+00:00', 500, '10.0.0.2:3000', '500'), // before the switch
    line('2026-11-28T14:05:22+00:00', 200, '10.0.0.1:3000', '200') // the other color
  ].join('\n') + '\n')
  const result = spawnSync('bash', ['-c', `. '${join(DEPLOY_DIR, 'lib.sh')}' && error_counts 2026-11-28T14:05:00Z 10.0.0.2:3000`],
    { env: { ...baseEnv(), NGINX_LOG_CMD: `cat '${join(dir, 'access.log')}'` }, encoding: 'utf8' })
  t.equal(result.stdout.trim(), '2 4', '2 errors in 4 requests to 10.0.0.2')
})

const noShellcheck = onPath('shellcheck') ? false : 'shellcheck is not installed (apt-get install -y shellcheck; .ci/run installs it)'
test('shellcheck passes on every shell script in the repository', { skip: noShellcheck }, async (t) => {
  // Every tracked file named *.sh or starting with a sh/bash shebang: a new script is checked
  // without being listed here
  const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
  t.equal(tracked.status, 0, 'git lists the tracked files', { output: tracked.stderr })
  const scripts: string[] = []
  for (const file of tracked.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue
    const firstLine = file.endsWith('.sh') ? '' : (await readFile(join(REPO_ROOT, file), 'utf8').catch(() => '')).split('\n', 1)[0]
    if (file.endsWith('.sh') || /^#!.*\b(ba|da)?sh\b/.test(firstLine)) scripts.push(file)
  }
  for (const known of ['deploy/lib.sh', 'deploy/deploy.sh', 'deploy/rollback.sh', 'deploy/smoke.sh', 'deploy/base-images/build.sh',
    'deploy/base-images/postgres/docker-entrypoint.sh', 'test/deploy/helpers/color-process.sh', '.ci/run', '.ci/containers']) {
    t.ok(scripts.includes(known), `${known} is among them`)
  }
  const result = spawnSync('shellcheck', ['-x', '--severity=style', ...scripts], { cwd: REPO_ROOT, encoding: 'utf8' })
  t.equal(result.status, 0, `shellcheck finds nothing in ${scripts.length} scripts`, { output: result.stdout + result.stderr })
})
