import t from 'tap'
import { uuidV7 } from '../../src/lib/uuid-v7.ts'
import { UUID_V7 } from '../helpers/uuid.ts'

const timeOf = (id: string) => parseInt(id.replaceAll('-', '').slice(0, 12), 16)

t.test('an id is a version 7 UUID of the RFC 9562 variant, carrying the time it was made', async (t) => {
  const before = Date.now()
  const id = uuidV7()
  const after = Date.now()
  t.match(id, UUID_V7)
  t.ok(timeOf(id) >= before && timeOf(id) <= after, 'its first 48 bits are the Unix time in milliseconds')
})

// [what, milliseconds, the id's first 13 characters]
const TIMES: Array<[string, number, string]> = [
  ['the epoch', 0, '00000000-0000'],
  ['a time that needs fewer than 12 hex digits is padded', 0xabc, '00000000-0abc'],
  ['2026-11-29T00:00:00Z (1,795,910,400,000 ms, 0x1a22499f800)', Date.UTC(2026, 10, 29), '01a22499-f800'],
  ['the last millisecond 48 bits hold', 2 ** 48 - 1, 'ffffffff-ffff']
]
for (const [what, ms, prefix] of TIMES) {
  t.test(`time: ${what}`, async (t) => {
    const id = uuidV7(ms)
    t.match(id, UUID_V7)
    t.equal(id.slice(0, 13), prefix)
    t.equal(timeOf(id), ms)
  })
}

t.test('ids made in a later millisecond sort after earlier ones, as text and as PostgreSQL compares uuids', async (t) => {
  const ids = [1_000, 1_001, 65_536, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1].map((ms) => uuidV7(ms))
  t.same([...ids].sort(), ids)
})

t.test('ids made in the same millisecond differ (74 random bits)', async (t) => {
  const ids = new Set(Array.from({ length: 10_000 }, () => uuidV7(1_000)))
  t.equal(ids.size, 10_000)
})
