/* Recipe internals. */
#ifndef DJ_RECIPE_INT_H
#define DJ_RECIPE_INT_H

#include <stdbool.h>

/** Is @name one of Data-Juicer's operator names (implemented in djmpi or not)? */
bool dj_recipe__is_data_juicer_op(const char *name);

#endif
