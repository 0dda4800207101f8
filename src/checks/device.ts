/** device: the browser carries a signed device cookie; a blocked device is denied. */
import { deny, pass, type Check } from './check.js';

export const deviceCheck: Check = {
  name: 'device',
  evaluate({ device }) {
    if (device?.blockedAt != null) return deny('This device is blocked', 'Sign-ins from this device have been blocked by an administrator. Contact them if you think this is a mistake.');
    return pass();
  },
};
