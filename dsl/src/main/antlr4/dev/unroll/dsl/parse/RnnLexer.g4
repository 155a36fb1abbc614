/* Tokens of the .rnn language; see RnnParser.g4 for the structure. */
lexer grammar RnnLexer;

channels { DOC_CHANNEL }

// Keywords, except as a part of a package name ("package com.example.model;"), where
// SpecParser turns them into names (IDENT): see SpecParser.namesInPackageDeclarations.
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

// "/**" starts a doc comment unless it is the empty comment "/**/". The first character after
// the stars must not be '/', and may not be taken from the closing "*/" either: "/***/" is a
// complete comment, not the start of one that runs on to the next "*/".
DOC_COMMENT : '/**' '*'* ( ~[*/] .*? )? '*/' -> channel(DOC_CHANNEL) ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n\f]+ -> skip ;

// Recognized so they can be reported in words instead of as a stream of bad characters.
// Cannot contain "*/", so it only wins when the comment really runs to the end of the file.
// Both stay on the default channel: the parser then recovers around them like around any
// misplaced token (the front end reports them once, from the token list, not as parse errors).
UNTERMINATED_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF ;
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* ;

// Any other character. Lexing never fails: a stray character becomes a token the parser
// reports and recovers from, so the statement it sits in is set aside instead of being read
// with the character silently dropped (which would turn "0,5" into the two numbers 0 and 5).
BAD_CHAR : . ;

fragment DIGITS : [0-9]+ ;
