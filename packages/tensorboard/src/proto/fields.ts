/**
 * Field numbers and enum values from the public .proto files, for the
 * messages this writer encodes. Each block names its source file.
 */

/** tensorflow/core/util/event.proto — Event */
export const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 7 } as const;
/** tensorflow/core/util/event.proto — SessionLog and its SessionStatus */
export const SESSION_LOG = { status: 1 } as const;
export const SESSION_STATUS = { start: 1 } as const;

/** tensorflow/core/framework/summary.proto — Summary, Summary.Value, Summary.Image, SummaryMetadata */
export const SUMMARY = { value: 1 } as const;
export const VALUE = { tag: 1, simpleValue: 2, image: 4, histo: 5, tensor: 8, metadata: 9 } as const;
export const IMAGE = { height: 1, width: 2, colorspace: 3, encodedImageString: 4 } as const;
export const METADATA = { pluginData: 1, displayName: 2, summaryDescription: 3, dataClass: 4 } as const;
export const PLUGIN_DATA = { pluginName: 1, content: 2 } as const;
/** SummaryMetadata.DataClass */
export const DATA_CLASS = { unknown: 0, scalar: 1, tensor: 2, blobSequence: 3 } as const;

/** tensorflow/core/framework/histogram.proto — HistogramProto */
export const HISTOGRAM = { min: 1, max: 2, num: 3, sum: 4, sumSquares: 5, bucketLimit: 6, bucket: 7 } as const;

/** tensorflow/core/framework/tensor.proto — TensorProto; tensor_shape.proto — TensorShapeProto */
export const TENSOR = { dtype: 1, tensorShape: 2, tensorContent: 4, floatVal: 5, doubleVal: 6, stringVal: 8 } as const;
export const TENSOR_SHAPE = { dim: 2 } as const;
export const DIM = { size: 1 } as const;
/** tensorflow/core/framework/types.proto — DataType */
export const DT = { float: 1, double: 2, string: 7 } as const;

/** The first record of every event file (TensorBoard uses it to handle restarts). */
export const FILE_VERSION = 'brain.Event:2';
