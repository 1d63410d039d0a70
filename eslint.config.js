import neostandard from 'neostandard'

// Standard style for TypeScript. typescript-eslint parses with its own TypeScript 5 (package.json
// overrides): the project's TypeScript 7 is the native compiler and has no JavaScript API
export default [
  ...neostandard({ ts: true, ignores: ['data/**', 'coverage/**', '.tap/**'] }),
  {
    files: ['src/**/*.ts'],
    rules: { '@stylistic/max-len': ['error', { code: 150, ignoreUrls: true, ignoreRegExpLiterals: true }] }
  }
]
