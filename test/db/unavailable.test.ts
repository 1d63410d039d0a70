import { test } from 'tap'
import { DatabaseUnavailableError, isDataError, isDatabaseUnavailable, readWithin } from '../../src/db/unavailable.ts'

const withCode = (code: string | undefined) => Object.assign(new Error('x'), { code })

test('what each SQLSTATE says: the database is away, the data is bad, or the statement is wrong', async (t) => {
  const cases: Array<[string | undefined, 'unavailable' | 'data' | 'neither', string]> = [
    ['ECONNREFUSED', 'unavailable', 'nothing listens'],
    ['CONNECT_TIMEOUT', 'unavailable', 'nothing answers'],
    ['CONNECTION_CLOSED', 'unavailable', 'the connection dropped'],
    ['08006', 'unavailable', 'connection failure'],
    ['08P01', 'unavailable', 'protocol violation'],
    ['28P01', 'unavailable', 'a wrong password'],
    ['28000', 'unavailable', 'login refused (pg_hba)'],
    ['3D000', 'unavailable', 'no such database'],
    ['42501', 'unavailable', 'permission denied: the grants, not the request'],
    ['57P01', 'unavailable', 'admin shutdown'],
    ['57P03', 'unavailable', 'cannot connect now (starting up)'],
    ['53300', 'unavailable', 'too many connections'],
    ['53100', 'unavailable', 'disk full'],
    ['57014', 'unavailable', 'statement timeout'],
    ['22P05', 'data', 'untranslatable character (NUL in jsonb)'],
    ['22021', 'data', 'invalid byte sequence'],
    ['22003', 'data', 'numeric value out of range'],
    ['42601', 'neither', 'syntax error: a bug, a 500'],
    ['23505', 'neither', 'unique violation'],
    [undefined, 'neither', 'no code']
  ]
  for (const [code, expected, what] of cases) {
    t.equal(isDatabaseUnavailable(withCode(code)), expected === 'unavailable', `${code}: ${what}`)
    t.equal(isDataError(withCode(code)), expected === 'data', `${code}: ${what}`)
  }
  t.notOk(isDatabaseUnavailable(undefined))
})

test('a read is bounded: its result in time, a 503-worthy error otherwise', async (t) => {
  t.equal(await readWithin(Promise.resolve('row'), 100), 'row')

  let takenBack: Error | undefined
  const started = performance.now()
  const hung = readWithin(new Promise(() => {}), 50, (error) => { takenBack = error })
  await t.rejects(hung, DatabaseUnavailableError)
  t.ok(performance.now() - started < 1000, 'gave up after its deadline')
  t.type(takenBack, DatabaseUnavailableError, 'onTimeout was told')

  await t.rejects(readWithin(Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 100), DatabaseUnavailableError)
  const wrong = Object.assign(new Error('syntax error'), { code: '42601' })
  await t.rejects(readWithin(Promise.reject(wrong), 100), wrong, 'a wrong statement is not hidden behind a 503')
})
