/**
 * A one-driver test model: a tiny (omni) full-range driver at the origin with
 * a flat response in band, for physics tests of the head and the room.
 * @module
 */
import type { DeviceModel } from "../../sim/device_model.ts";

export const POINT_SOURCE_MODEL: DeviceModel = {
  format: "spatialcal.device-model",
  version: 1,
  model: "point-source",
  description: "test: an omni point source at the origin",
  enclosures: [{ centerMeters: { x: 0, y: 0, z: 0 }, radiusMeters: 0.01 }],
  tolerances: { sensitivityDb: 0, resonancePercent: 0, qPercent: 0, positionMm: 0 },
  drivers: [{
    id: "point",
    kind: "fullrange",
    positionMeters: { x: 0, y: 0, z: 0 },
    axis: { azimuthDeg: 0, elevationDeg: 0 },
    pistonRadiusMeters: 0.0005,
    sensitivityDb: 0,
    response: {
      resonanceHz: 10,
      resonanceQ: 0.5,
      lowPassHz: 30000,
      lowPassQ: 0.7,
      breakupHz: 30000,
      breakupGainDb: 0,
      breakupQ: 1,
    },
    nonlinearity: { secondOrder: 0, thirdOrder: 0 },
  }],
};
