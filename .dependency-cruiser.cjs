/**
 * Import rules checked by `npm run check:imports` (part of `npm test`): no cycles (type-only imports included),
 * and the one-way layering of README's layout table: shaders <- gpu + kernels <- ops <- cl; memory, metrics and
 * util aside; app and sw on top; bench, lab and tests outside the product.
 */
const upward = (name, from, to, comment) => ({ name, severity: 'error', comment, from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Two files that import each other are one file in two places.',
      from: {},
      to: { circular: true },
    },
    upward('util-is-a-leaf', '^src/util/', '^src/(?!util/)', 'src/util depends on nothing else in src.'),
    upward('kernels-below-ops', '^src/(gpu|kernels)/', '^src/(ops|cl|app|sw|bench|memory|metrics)/', 'gpu and kernels sit under ops.'),
    upward('ops-below-cl', '^src/ops/', '^src/(cl|app|sw|bench|memory|metrics)/', 'ops sit under the learner.'),
    upward('cl-below-app', '^src/cl/', '^src/(app|sw|bench)/', 'the learner knows nothing of the app or the benchmarks.'),
    upward('memory-aside', '^src/(memory|metrics)/', '^src/(gpu|kernels|ops|cl|app|sw|bench)/', 'memory and metrics stand aside: no tfjs, no learner.'),
    upward('bench-below-app', '^src/bench/', '^src/(app|sw)/', 'the benchmark library is shared by Node and the bench page.'),
    upward('src-is-the-product', '^src/', '^(lab|tests|bench|scripts)/', 'the product never imports its tests, labs or runners.'),
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
