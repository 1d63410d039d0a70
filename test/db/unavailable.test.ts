import { test } from 'tap'
import { DatabaseUnavailableError, isDatabaseUnavailable, readWithin } from '../../src/db/unavailable.ts'

test('connection failures and shutdowns say the database is away; a wrong statement does not', async (t) => {
  for (const code of ['ECONNREFUSED', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', '08006', '57P01', '53300', '57014']) {
    t.ok(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code)
  }
  for (const code of ['42601', '23505', '22P02', undefined]) {
    t.notOk(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), String(code))
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
