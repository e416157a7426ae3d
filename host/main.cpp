// keel: the service host executable.
#include "application.h"
#include "malloc_arenas.h"
#include "signal_watcher.h"

int main(int argc, char** argv) {
    keel::host::limitMallocArenas();  // before the first thread: arenas are made per thread
    // Before any thread exists, so every thread inherits the mask and only the watcher sees signals.
    keel::host::SignalWatcher::blockSignals();
    keel::host::KeelApplication application;
    return application.run(argc, argv);
}
