/** What each scope means, in words a person reads on the consent page. */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name and nickname',
  email: 'See your email address',
  groups: 'See the groups you belong to',
  offline_access: 'Stay signed in when you are away',
  'masks:manage': 'Manage this masks installation',
};

export const describeScope = (scope: string): string => DESCRIPTIONS[scope] ?? `Use the "${scope}" permission`;
