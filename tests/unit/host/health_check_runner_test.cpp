// Placeholder, filled in shortly.
#include <gtest/gtest.h>
