// The source the shared test precompiled header is built with (cmake/SkiffTests.cmake);
// it has nothing of its own.
