/**
 * @file ucb_config_check.h
 * @brief Rejects impossible configurations at compile time.
 *
 * Included at the end of ucb_config.h; never include it directly.
 */
#ifndef UCB_CONFIG_CHECK_H
#define UCB_CONFIG_CHECK_H

#if (UCB_CONFIG_STRERROR != 0) && (UCB_CONFIG_STRERROR != 1)
#error "UCB_CONFIG_STRERROR must be 0 or 1"
#endif
#if (UCB_CONFIG_TEXT != 0) && (UCB_CONFIG_TEXT != 1)
#error "UCB_CONFIG_TEXT must be 0 or 1"
#endif
#if (UCB_CONFIG_VALIDATOR != 0) && (UCB_CONFIG_VALIDATOR != 1)
#error "UCB_CONFIG_VALIDATOR must be 0 or 1"
#endif
#if (UCB_CONFIG_ENCODER != 0) && (UCB_CONFIG_ENCODER != 1)
#error "UCB_CONFIG_ENCODER must be 0 or 1"
#endif

#if UCB_BOOTSTRAP_MAX < 4u
#error "UCB_BOOTSTRAP_MAX must hold at least the 4-byte file header"
#endif
#if UCB_BOOTSTRAP_MAX > 32768u
#error "UCB_BOOTSTRAP_MAX above 32768: READ BINARY offsets are 15 bits and the file size field is 16 bits"
#endif
#if UCB_BS_MAX_OBJECTS < 1u || UCB_BS_MAX_OBJECTS > 65535u
#error "UCB_BS_MAX_OBJECTS must be 1..65535"
#endif
#if UCB_BS_MAX_INSTANCES < 1u || UCB_BS_MAX_INSTANCES > 65535u
#error "UCB_BS_MAX_INSTANCES must be 1..65535"
#endif
#if UCB_BS_MAX_RESOURCES < 1u || UCB_BS_MAX_RESOURCES > 65535u
#error "UCB_BS_MAX_RESOURCES must be 1..65535"
#endif

#endif /* UCB_CONFIG_CHECK_H */
