// keel: the service host executable.
#include "application.h"
#include "signal_watcher.h"

int main(int argc, char** argv) {
    // Before any thread exists, so every thread inherits the mask and only the watcher sees signals.
    keel::host::SignalWatcher::blockSignals();
    keel::host::KeelApplication application;
    return application.run(argc, argv);
}
