/** The five setting groups that every level may set and that inherit downwards. */
export const SETTING_GROUPS = ['ssh', 'kernel', 'hypervisor', 'qos', 'agent'] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];
