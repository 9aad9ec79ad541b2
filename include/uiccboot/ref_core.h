/* stub: being written */
#ifndef UCB_REF_CORE_H
#define UCB_REF_CORE_H
#endif
