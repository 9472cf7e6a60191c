/** The MNIST continual-learning benchmark, shared by `npm run bench:cl` (Node) and bench.html (browser). */
export * from './config';
export * from './data';
export * from './scenarios';
export * from './results';
export * from './run';
export * from './mnist-codec';
