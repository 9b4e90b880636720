/**
 * Text for TensorBoard's text plugin: a DT_STRING tensor of shape [1] with
 * plugin metadata 'text' (the structure tensorboardX writes).
 */
import { ProtoWriter } from '@ranklog/core/sink';
import { DIM, DT, METADATA, PLUGIN_DATA, TENSOR, TENSOR_SHAPE, VALUE } from '../proto/fields.js';

export function textValue(tag: string, text: string): Uint8Array {
  return new ProtoWriter(text.length + tag.length + 48)
    .string(VALUE.tag, tag)
    .message(VALUE.tensor, (t) =>
      t
        .int64(TENSOR.dtype, DT.string)
        .message(TENSOR.tensorShape, (s) => s.message(TENSOR_SHAPE.dim, (d) => d.int64(DIM.size, 1)))
        .string(TENSOR.stringVal, text),
    )
    .message(VALUE.metadata, (m) => m.message(METADATA.pluginData, (p) => p.string(PLUGIN_DATA.pluginName, 'text')))
    .finish();
}
