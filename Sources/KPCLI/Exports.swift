// Exit codes, error types, the duration grammar and cluster names live in KPCore (below the tool
// libraries, free of ArgumentParser); every tool that imports KPCLI sees them too.
@_exported import KPCore
