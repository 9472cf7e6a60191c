/** The analytic (closed-form, exemplar-free, exact) continual learner: feature maps, statistics, classifiers. */
export { AnalyticLearner, type AnalyticLearnerConfig, type AnalyticTaskReport, type AnalyticState } from './learner';
export { RandomFeatureMap, validateFeatureMapConfig, type FeatureMapConfig, type FeatureMapKind } from './feature-map';
export { SufficientStatistics } from './statistics';
export { solveClassifier, type ClassifierKind, type LinearClassifier } from './classifier';
export { deskewImages, type ImageShape } from './deskew';
