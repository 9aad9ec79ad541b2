/**
 * @file ucb_config.h
 * @brief Compile-time configuration of libuiccboot.
 *
 * Every setting has an `#ifndef` default, so a port overrides only what it
 * needs, either with `-D` on the compiler command line or by naming its own
 * configuration header in `UCB_CONFIG_FILE` (e.g.
 * `-DUCB_CONFIG_FILE='"my_ucb_config.h"'`), which is then included instead of
 * the defaults below and may still rely on them for anything it leaves out.
 *
 * Feature macros are 0 or 1 and are tested with `#if`, never `#ifdef`, so a
 * misspelt or missing macro is caught by `-Wundef`.
 */
#ifndef UCB_CONFIG_H
#define UCB_CONFIG_H

#ifdef UCB_CONFIG_FILE
#include UCB_CONFIG_FILE
#endif

/** Largest EF LwM2M_Bootstrap the library handles (LwM2M Core G.3.4: 32 KB). */
#ifndef UCB_BOOTSTRAP_MAX
#define UCB_BOOTSTRAP_MAX 32768u
#endif

/** Objects (the file's object entries) a decoded model can hold. */
#ifndef UCB_BS_MAX_OBJECTS
#define UCB_BS_MAX_OBJECTS 8u
#endif

/** Object instances a decoded model can hold, over all objects. */
#ifndef UCB_BS_MAX_INSTANCES
#define UCB_BS_MAX_INSTANCES 32u
#endif

/**
 * Resource entries a decoded model can hold, over all instances. A
 * multiple-instance resource takes one entry plus one per resource instance.
 */
#ifndef UCB_BS_MAX_RESOURCES
#define UCB_BS_MAX_RESOURCES 192u
#endif

/** 1: ucb_strerror() returns English text; 0: it returns "" (saves flash). */
#ifndef UCB_CONFIG_STRERROR
#define UCB_CONFIG_STRERROR 1
#endif

/**
 * 1: the resource table carries names ("LWM2M Server URI") and diagnostics
 * carry English messages; 0: names and messages are "" (saves flash).
 */
#ifndef UCB_CONFIG_TEXT
#define UCB_CONFIG_TEXT 1
#endif

/** 1: build the validator (ucb_validate()). */
#ifndef UCB_CONFIG_VALIDATOR
#define UCB_CONFIG_VALIDATOR 1
#endif

/**
 * 1: build the encoders (the TLV writer and ucb_bs_encode()). Firmware that
 * only reads cards can set 0; the host tool needs 1.
 */
#ifndef UCB_CONFIG_ENCODER
#define UCB_CONFIG_ENCODER 1
#endif

#include "ucb_config_check.h"

#endif /* UCB_CONFIG_H */
