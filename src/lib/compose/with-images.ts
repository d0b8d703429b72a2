// A model with some services' images replaced: by the images a build made (the client, before it
// sends the stack) or by those an upgrade names (the agent). A service given an image runs that
// image, so its `build:` goes: it would only say where the image once came from (a path on
// someone's laptop), and the engine's config hash leaves `build` out anyway.

import type {ComposeModel} from './types.ts';

export function withImages(model: ComposeModel, images: Record<string, string>): ComposeModel {
  const services = {...model.services};
  for (const [name, image] of Object.entries(images)) {
    if (!services[name]) continue;
    const {build: _build, ...service} = services[name];
    services[name] = {...service, image};
  }
  return {...model, services};
}
