/**
 * The trained model as a `model` artifact. Pure tfjs has no file:// save handler (that is
 * tfjs-node's), so the artifacts are written here in the same layout: model.json (topology,
 * training config, weights manifest) and weights.bin, which tf.loadLayersModel reads back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from './tfjs-types.js';

export const WEIGHTS_FILE = 'weights.bin';

/** Save `model` into `dir` (created) as model.json + weights.bin. */
export async function saveModelFiles(model: LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        ...(artifacts.format !== undefined && { format: artifacts.format }),
        ...(artifacts.generatedBy !== undefined && { generatedBy: artifacts.generatedBy }),
        ...(artifacts.convertedBy !== undefined && { convertedBy: artifacts.convertedBy }),
        ...(artifacts.trainingConfig !== undefined && { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata !== undefined && { userDefinedMetadata: artifacts.userDefinedMetadata }),
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}
