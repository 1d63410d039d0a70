/** What a helper needs of a test: somewhere to register its clean-up (a tap Test is one). */
export interface Teardown { teardown: (fn: () => unknown) => void }
