/* stub: being written */
#ifndef UCB_BRIDGE_H
#define UCB_BRIDGE_H
#endif
