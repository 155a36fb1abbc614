/* Tokens of the .rnn language; see RnnParser.g4 for the structure. */
lexer grammar RnnLexer;

channels { DOC_CHANNEL, ERROR_CHANNEL }

PACKAGE : 'package' ;
MODEL   : 'model' ;

LBRACE : '{' ;
RBRACE : '}' ;
SEMI   : ';' ;
DOT    : '.' ;

IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;

// Signed decimal with optional fraction and exponent. Range is checked by the validator,
// so "1e999" or "99999999999" become diagnostics, never exceptions.
NUMBER : '-'? DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)? ;

STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;

// "/**" starts a doc comment unless it is the empty comment "/**/".
DOC_COMMENT : '/**' ~'/' .*? '*/' -> channel(DOC_CHANNEL) ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n\f]+ -> skip ;

// Recognized so they can be reported in words instead of as a stream of bad characters.
// Cannot contain "*/", so it only wins when the comment really runs to the end of the file.
UNTERMINATED_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF -> channel(ERROR_CHANNEL) ;
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* -> channel(ERROR_CHANNEL) ;

fragment DIGITS : [0-9]+ ;
