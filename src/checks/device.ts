/** device: the browser carries a signed device cookie; a blocked device is denied. */
import { deny, pass, type ConfiguredCheck } from './check.js';

export const deviceCheck: ConfiguredCheck = {
  name: 'device',
  evaluate({ device }) {
    return device?.blockedAt != null ? deny('device-blocked') : pass();
  },
};
